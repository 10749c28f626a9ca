#!/usr/bin/env bash
# Entrypoint of the offline postgres stand-in (see Dockerfile), behaving like the official image's for
# what a gatestack stack uses:
#  - as root: owns $PGDATA and the socket directory for postgres, then re-runs itself as postgres;
#  - first start (no $PGDATA/PG_VERSION): initdb with POSTGRES_USER (default postgres) as superuser and
#    POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) as its password, Unix-socket connections trusted,
#    TCP ones by POSTGRES_HOST_AUTH_METHOD (default scram-sha-256); creates POSTGRES_DB (default: the
#    user's name) and runs /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz, on a temporary server that
#    listens on a private socket only, so `pg_isready` and clients see no server until the real one;
#  - later starts keep the cluster as it is;
#  - finally exec's postgres, so it is PID 1 and gets the stop signal itself (SIGINT: fast shutdown).
set -Eeuo pipefail

say() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }

# VAR from the environment, else from the file VAR_FILE names (a Docker/Compose secret), else a default.
file_env() {
  local var=$1 default=${2:-} file_var="${1}_FILE" value
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
    say "both $var and $file_var are set; set only one"
    exit 1
  fi
  value=$default
  if [[ -n ${!var:-} ]]; then
    value=${!var}
  elif [[ -n ${!file_var:-} ]]; then
    value=$(<"${!file_var}")
  fi
  export "$var=$value"
  unset "$file_var"
}

run_init_scripts() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [[ -e $f ]] || continue
    case $f in
      *.sh)
        if [[ -x $f ]]; then
          say "running $f"
          "$f"
        else
          say "sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql)
        say "running $f"
        "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f"
        ;;
      *.sql.gz)
        say "running $f"
        gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB"
        ;;
      *) say "ignoring $f" ;;
    esac
  done
}

init_cluster() {
  if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
    say "the database is uninitialized and no superuser password is set:"
    say "set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust to allow every"
    say "connection without a password (never do that outside a throwaway test)"
    exit 1
  fi
  local -a initdb_args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD")
  local -a extra=()
  read -r -a extra <<<"$POSTGRES_INITDB_ARGS"
  say "initializing a PostgreSQL $PG_MAJOR cluster in $PGDATA (superuser $POSTGRES_USER)"
  if [[ -n $POSTGRES_PASSWORD ]]; then
    initdb "${initdb_args[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${extra[@]}"
  else
    initdb "${initdb_args[@]}" "${extra[@]}"
  fi
  printf '\n# gatestack stand-in (like the official image): every other host\nhost all all all %s\n' \
    "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  local socket_dir
  socket_dir=$(mktemp -d /tmp/postgres-init.XXXXXX)
  pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories='$socket_dir'" start
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --host "$socket_dir" --username "$POSTGRES_USER")
  if [[ $POSTGRES_DB != postgres ]]; then
    say "creating database $POSTGRES_DB"
    "${psql[@]}" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  PGHOST=$socket_dir PGUSER=$POSTGRES_USER PGDATABASE=$POSTGRES_DB run_init_scripts
  pg_ctl -D "$PGDATA" -m fast -w stop
  rmdir "$socket_dir" 2>/dev/null || true
  say "initialized; starting the server"
}

if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi

# postgres asked only for information (--version, --help, -C setting …) runs as it is, like any other
# command (psql, pg_isready, bash …).
wants_info() {
  local arg
  for arg in "$@"; do
    case $arg in -'?' | --help | --describe-config | -V | --version | -C | -C?*) return 0 ;; esac
  done
  return 1
}
if [[ ${1:-} != postgres ]] || wants_info "${@:2}"; then exec "$@"; fi

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  export HOME=/var/lib/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
export POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  init_cluster
else
  say "$PGDATA holds a PostgreSQL $(<"$PGDATA/PG_VERSION") cluster: skipping initialization"
fi
unset PGHOST PGUSER PGDATABASE
exec "$@"
