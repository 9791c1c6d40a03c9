"""The workshop's screens (issue 13): staff and resources, working time."""
