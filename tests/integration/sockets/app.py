# SPDX-License-Identifier: MIT
# The WSGI app of test_sockets.py: gunicorn --workers 1 --chdir here app:app
# (gunicorn takes $LISTEN_FDS by itself; --bind fd://3 as well breaks 20.1)
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from gunicorn\n"]
