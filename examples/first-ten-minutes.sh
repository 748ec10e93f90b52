#!/usr/bin/env bash
# A frontend developer's first ten minutes with Muistot, against a running `make run` (curl and jq).
#
#   make run                          # in another terminal
#   examples/first-ten-minutes.sh     # or: MUISTOT_API=http://127.0.0.1:5600 EMAIL=me@example.com examples/...
#
# It signs in by the mailed link (read from the file mailbox with `muistot-dev mail last`), makes itself a
# superuser of this development stack (`muistot superuser grant`, on the server's machine: only superusers
# create projects), creates a project, a site and a memory with a photo, adds English texts, publishes them,
# and reads them anonymously in Finnish and in English. Every request is printed as it is sent.
# The rules behind each step: docs/api.md and docs/sign-in.md.
set -euo pipefail

API=${MUISTOT_API:-http://127.0.0.1:5600}
MUISTOT=${MUISTOT_CLI:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/muistot-dev}
EMAIL=${EMAIL:-frontend-$(date +%s)@example.com}
PROJECT=${PROJECT:-kisakesa-$(date +%s)}
SITE=olympiastadion
HEADERS=$(mktemp)
BODY=$(mktemp)
trap 'rm -f "$HEADERS" "$BODY"' EXIT

header() { grep -i "^$1:" "$HEADERS" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# call EXPECTED_STATUS METHOD PATH [JSON] [curl options...]: prints the exchange; stops on another status.
call() {
  local expected=$1 method=$2 path=$3 data=${4:-}
  shift 4 2>/dev/null || shift $#
  local args=(-sS -X "$method" -D "$HEADERS" -o "$BODY" -w '%{http_code}' "$@")
  [ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  echo "→ $method $path"
  local status
  status=$(curl "${args[@]}" "$API$path")
  case "$(header Content-Type)" in
    *json*|text/*|"") echo "← $status $(head -c 300 "$BODY")" ;;
    *) echo "← $status ($(header Content-Type), $(wc -c <"$BODY") bytes)" ;;
  esac
  if [ "$status" != "$expected" ]; then
    echo "expected $expected" >&2
    exit 1
  fi
}

echo "== 1. Sign in by e-mail link (docs/sign-in.md)"
call 204 POST "/auth/email?email=$(jq -rn --arg v "$EMAIL" '$v|@uri')" "" -H "Muistot-Language: en"
for _ in $(seq 1 30); do  # the worker delivers the mail within a second or two
  MAIL=$("$MUISTOT" mail last --to "$EMAIL" --json 2>/dev/null) && break
  sleep 1
done
[ -n "${MAIL:-}" ] || { echo "no mail to $EMAIL arrived" >&2; exit 1; }
LINK_USER=$(jq -r '.links[0].params.user' <<<"$MAIL")
LINK_TOKEN=$(jq -r '.links[0].params.token' <<<"$MAIL")
echo "   mail: $(jq -r .subject <<<"$MAIL"), link for user \"$LINK_USER\""
# Both values URL-encoded again: a generated username may hold spaces and ä/ö.
call 200 POST "/auth/email/exchange?user=$(jq -rn --arg v "$LINK_USER" '$v|@uri')&token=$(jq -rn --arg v "$LINK_TOKEN" '$v|@uri')"
TOKEN=$(header Authorization | cut -d' ' -f2)
echo "   token: ${TOKEN:0:8}… (from the Authorization response header)"
call 200 GET /me

echo "== 2. Only superusers create projects: grant it on this development stack"
"$MUISTOT" superuser grant "$EMAIL"

echo "== 3. Create a project, a site and a memory (Finnish first, then English texts)"
call 201 POST /projects "{\"id\": \"$PROJECT\", \"info\": {\"lang\": \"fi\", \"name\": \"Helsingin olympiakesä 1952\",
  \"abstract\": \"Muistoja kisakesästä.\"}, \"starts\": \"2026-05-01T00:00:00+03:00\"}"
echo "   Location: $(header Location)"
call 204 PATCH "/projects/$PROJECT" '{"info": {"lang": "en", "name": "Helsinki Olympic summer 1952",
  "abstract": "Memories of the Games."}}'
call 201 POST "/projects/$PROJECT/sites" "{\"id\": \"$SITE\", \"location\": {\"lon\": 24.9272, \"lat\": 60.1867},
  \"info\": {\"lang\": \"fi\", \"name\": \"Olympiastadion\", \"abstract\": \"Kisojen päänäyttämö.\"}}"
call 204 PATCH "/projects/$PROJECT/sites/$SITE" '{"info": {"lang": "en", "name": "Olympic Stadium",
  "abstract": "The main stage of the Games."}}'
# A 1×1 PNG; any JPEG or PNG works, as base64 or a data: URL.
PNG="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg=="
call 201 POST "/projects/$PROJECT/sites/$SITE/memories" "{\"title\": \"Zátopekin maraton\",
  \"story\": \"Istuimme isän kanssa kaarteessa.\", \"image\": \"$PNG\"}"
MEMORY_URL=$(header Location)
MEMORY=${MEMORY_URL##*/}
echo "   Location: $MEMORY_URL"

echo "== 4. Publish (new projects, and contributions outside auto-publish projects, wait for it)"
call 204 POST "/projects/$PROJECT/publish?publish=true"
call 204 POST "/projects/$PROJECT/sites/$SITE/publish?publish=true"
call 204 POST "/projects/$PROJECT/sites/$SITE/memories/$MEMORY/publish?publish=true"

echo "== 5. Read anonymously, in two languages"
SIGNED_IN=$TOKEN
TOKEN=
call 200 GET "/projects/$PROJECT/sites/$SITE" "" -H "Muistot-Language: fi"
echo "   fi: $(jq -r '.info.name + " (" + .info.lang + ")"' "$BODY")"
call 200 GET "/projects/$PROJECT/sites/$SITE" "" -H "Accept-Language: en-GB,en;q=0.8"
echo "   en: $(jq -r '.info.name + " (" + .info.lang + ")"' "$BODY")"
call 200 GET "/projects/$PROJECT" "" -H "Muistot-Language: en"
echo "   project: $(jq -r '.info.name + ", starts " + .starts' "$BODY")"
call 200 GET "/projects/$PROJECT/sites/$SITE/memories/$MEMORY"
echo "   memory: $(jq -r '.title + ", modified_at " + .modified_at' "$BODY")"
IMAGE=$(jq -r .image "$BODY")
call 200 GET "/images/$IMAGE"
echo "   image: $(header Content-Type), $(wc -c <"$BODY") bytes"
call 200 GET "/projects/$PROJECT/sites.geojson"
echo "   geojson: $(header Content-Type), $(jq -r '.features | length' "$BODY") feature(s)"

echo "== 6. Sign out"
TOKEN=$SIGNED_IN
call 204 DELETE /me
call 401 GET /me
echo "done: project $PROJECT"
