"""Collectors: where posts come from. Each one isolates one route to one platform."""
