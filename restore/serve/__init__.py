"""``restore serve``: a local web page and HTTP API over every task (the ``serve`` extra). :mod:`forms` turns a
request into the command line of the CLI command it runs, :mod:`jobs` queues and runs them one at a time in a
private folder, :mod:`app` is the FastAPI app, and ``static/`` the page (plain HTML, CSS and JavaScript)."""
