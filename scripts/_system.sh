# Sourced by scripts/test.sh: the system programs the tests drive for real, installed from
# Debian's packages when missing (CI machines start without them):
#   chromium + chromedriver  browser tests of the pages (Playwright drives the system browser)
#   soffice                  work reports rendered to PDF (LibreOffice headless)
#   pdftoppm                 PDF pages to PNG for a person to look at (poppler-utils)
#   ffmpeg                   synthetic H.264 camera streams for the vision tests and benchmarks
#   Noto CJK fonts           Chinese text in screenshots, charts and PDFs
ensure_system_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${missing[*]} (install them with your system's package manager)" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null
}
