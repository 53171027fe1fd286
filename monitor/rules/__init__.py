"""Rule files, candidate registries and election calendars: data people edit."""
