"""Web pages of the devices module: fleet list, device page, enrollment tokens, groups."""
