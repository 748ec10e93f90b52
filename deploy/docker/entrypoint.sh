#!/bin/sh
# Container entry point. Without arguments: serve the service the image was built for, waiting up to
# 30 s for MariaDB and Redis. With arguments: run that `muistot` sub-command instead
# (`worker`, `migrate --wait 60`, `session create EMAIL`, ...).
set -eu
if [ "$#" -eq 0 ]; then
  exec muistot serve "${MUISTOT_SERVICE:?MUISTOT_SERVICE is not set}" --host 0.0.0.0 --port 8000 --wait 30
fi
exec muistot "$@"
