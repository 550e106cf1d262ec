def test_world_builds(world):
    assert world.school.grade_range == range(1, 10)
