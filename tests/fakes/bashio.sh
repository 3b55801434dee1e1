# shellcheck shell=bash
# A stand-in for the bashio functions Haul's s6 scripts call, with bashio's semantics, for tests
# that run those scripts outside a Supervisor container. SUPERVISOR_URL replaces http://supervisor.

bashio::log.info() { echo "[INFO] $*" >&2; }
bashio::log.warning() { echo "[WARNING] $*" >&2; }
bashio::log.error() { echo "[ERROR] $*" >&2; }
bashio::exit.nok() { echo "[FATAL] $*" >&2; exit 1; }

# bashio::net.wait_for PORT [HOST] [TIMEOUT]: wait until a TCP port accepts connections.
bashio::net.wait_for() {
  local port=$1 host=${2:-127.0.0.1} timeout=${3:-60} waited=0
  until (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > timeout * 5)); then return 1; fi
  done
}

# bashio::var.json KEY VALUE ...: a JSON object; a value starting with ^ is inserted raw.
bashio::var.json() {
  local json="" separator="" value
  while (($# >= 2)); do
    if [[ "${2:0:1}" == "^" ]]; then
      value="${2:1}"
    else
      value=${2//\\/\\\\}
      value="\"${value//\"/\\\"}\""
    fi
    json+="${separator}\"$1\": ${value}"
    separator=", "
    shift 2
  done
  echo "{${json}}"
}

# bashio::discovery SERVICE CONFIG: POST the discovery message to the Supervisor.
bashio::discovery() {
  curl --silent --fail --max-time 10 -X POST \
    -H "Authorization: Bearer ${SUPERVISOR_TOKEN}" -H "Content-Type: application/json" \
    -d "{\"service\": \"$1\", \"config\": $2}" "${SUPERVISOR_URL}/discovery"
}

# Inside an add-on the container's hostname reaches it; here the "container" is loopback.
hostname() { echo 127.0.0.1; }
