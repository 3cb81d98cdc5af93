"""Names the dead-code check (vulture, in `nox -s lint`) cannot see used: each is called by a
framework or a protocol, not by our code. Keep this list short; anything else it reports is dead."""

# argparse reads these attributes of a parser
_.description
_.formatter_class
# the context-manager protocol: __exit__(exc_type, exc, tb)
exc_type
tb
# html.parser.HTMLParser calls these
_.handle_starttag
_.handle_endtag
# http.server.BaseHTTPRequestHandler calls these (tests' recording servers)
_.log_message
_.do_GET
_.do_POST
# yaml: a Dumper's increase_indent(flow, indentless) and a Resolver's hooks
indentless
_.descend_resolver
_.ascend_resolver
current_node
current_index
# Django reads a settings module by attribute name
ROOT_URLCONF
# pytest: fixtures asked for by name for their effect, and a hook's parameter
django_db_modify_db_settings_parallel_suffix
collected_static
call
# attributes set for a library to read: psycopg2's connection, Django's settings override
_.autocommit
_.CACHES
frame  # a signal handler's (signum, frame)
