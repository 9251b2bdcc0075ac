#!/usr/bin/env bash
# Install the Debian packages the workbench uses from outside Python, when missing.
#   postgresql            a throw-away PostgreSQL server for the journal tests (initdb/pg_ctl)
#   libharfbuzz-subset0   fast font subsetting for WeasyPrint (letters and reports render ~3x faster)
#   poppler-utils         pdftotext, with which the tests read back the text of generated PDFs
# Usage: tools/ensure_system_packages.sh [postgresql] [harfbuzz] [poppler]
# Only root with apt-get installs anything; otherwise it says what will be slower or skipped.
# Always exits 0: tests skip PostgreSQL with a clear message, WeasyPrint falls back to fontTools.
set -euo pipefail

missing=()
for want in "$@"; do
    case "$want" in
        postgresql)
            if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
                missing+=(postgresql)
            fi ;;
        harfbuzz)
            if ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then
                missing+=(libharfbuzz-subset0)
            fi ;;
        poppler)
            if ! command -v pdftotext >/dev/null 2>&1; then
                missing+=(poppler-utils)
            fi ;;
        *) echo "unknown package key: $want" >&2; exit 2 ;;
    esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} (Debian packages) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi

echo "note: ${missing[*]} not installed and cannot be installed here (needs root and apt-get):" \
     "PostgreSQL journal tests and PDF text checks are skipped; PDFs render more slowly."
exit 0
