"""Runs a SIPVicious tool with its sockets bound to one source address.

    python3 sipvicious-from.py 127.0.0.42 svwar -e 100-120 --domain regshield.test udp://127.0.0.1:5060

Debian's sipvicious 0.3.3 parses `-b` in svwar and svcrack but never passes it on, so their packets leave
from the default address (127.0.0.1, which regshield allowlists by default). This wrapper replaces the
wildcard address ('' or 0.0.0.0) in every socket.bind() call with the given address, then runs the tool's
own script unchanged: the scan is the real tool's, only its source address is chosen.
"""
import os
import runpy
import shutil
import socket
import sys

source, tool, arguments = sys.argv[1], sys.argv[2], sys.argv[3:]
original_bind = socket.socket.bind


def bind_to_source(self, address):
    if isinstance(address, tuple) and address[0] in ('', '0.0.0.0'):
        address = (source,) + address[1:]
    return original_bind(self, address)


socket.socket.bind = bind_to_source
# The tool's own script, run as if started directly (its directory first on sys.path, as Python does).
script = os.path.realpath(shutil.which(tool))
sys.path.insert(0, os.path.dirname(script))
sys.argv = [tool] + arguments
runpy.run_path(script, run_name='__main__')
