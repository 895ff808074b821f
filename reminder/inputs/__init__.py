"""Loading: the config, contacts, groups, cases, campaigns and templates, every file checked."""
