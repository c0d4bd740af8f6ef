# SPDX-License-Identifier: MIT
# The WSGI app of test_sockets.py: gunicorn --bind fd://3 --chdir here app:app
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from gunicorn\n"]
