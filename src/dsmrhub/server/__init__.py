"""Serving dsmrhub: the granian web server (`dsmrhub serve`) and the supervisor of `dsmrhub run`.

It sits on top of everything else: it starts the other parts as `dsmrhub` child processes and serves
the project's WSGI application; no other package imports it.
"""
