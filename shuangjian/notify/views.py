from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import Notification


@login_required
def inbox(request):
    rows = Notification.objects.filter(user=request.user)[:100]
    return render(request, "notify/inbox.html", {"rows": rows})


@login_required
@require_POST
def mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    if not ids:
        ids = list(
            Notification.objects.filter(user=request.user, read_at__isnull=True).values_list(
                "id", flat=True
            )
        )
    services.mark_read(user=request.user, ids=ids)
    return redirect("inbox")
