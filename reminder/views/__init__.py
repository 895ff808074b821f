"""Views: what a person reads, rendered from the application's values (report tables, CSV,
JSON, workbooks, HTML pages). The command line prints them and a web console will serve them;
no earlier stage formats text for a person."""
