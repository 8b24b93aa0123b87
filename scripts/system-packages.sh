#!/usr/bin/env bash
# Debian packages: Chromium (browser tests), CJK fonts and Pango (receipt PDFs), poppler
# (PDF checks), gettext (translation checks). Installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v msgfmt >/dev/null || need+=(gettext)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
# WeasyPrint (receipt PDFs) draws text with Pango.
ldconfig -p | grep -q libpangoft2-1.0.so.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${need[*]} (install them with apt-get as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
