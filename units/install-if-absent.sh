#!/bin/sh
# SPDX-License-Identifier: MIT
# meson install script: install SRC as DEST (under $DESTDIR) unless DEST
# already exists, so that an administrator's edited file survives.
set -eu
src=$1
dest=${DESTDIR:-}$2
if [ -e "$dest" ]; then
        echo "Keeping existing $dest"
        exit 0
fi
install -D -m 0644 "$src" "$dest"
echo "Installing $src to $dest"
