#!/usr/bin/env bash
# Merge tests/oci/results/<runtime>.json (written by `hack/oci-test.sh
# --all`) into one markdown table: program | in list.txt | one column per
# runtime. A runtime without results shows "pending".
#
#   hack/oci-table.sh [RUNTIME...]     # default: runc crun gocontainer
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results=$repo/tests/oci/results
runtimes=("$@")
((${#runtimes[@]})) || runtimes=(runc crun gocontainer)

# {runtime: {program: status}} for every runtime with results.
merged=$(for r in "${runtimes[@]}"; do
	f=$results/$r.json
	if [[ -f $f ]]; then
		jq --arg r "$r" '{($r): (map({key: .name, value: .status}) | from_entries)}' "$f"
	else
		jq -n --arg r "$r" '{($r): null}'
	fi
done | jq -s 'add')
list=$(sed 's/#.*//' "$repo/tests/oci/list.txt" | awk 'NF {print $1}' | jq -R . | jq -s .)
programs=$(jq -r '[.[] | select(. != null) | keys[]] | unique[]' <<<"$merged")
[[ -n $programs ]] || { echo "oci-table: no results in $results (run hack/oci-test.sh --all RUNTIME)" >&2; exit 1; }

printf '| program | in list.txt |'
printf ' %s |' "${runtimes[@]}"
printf '\n|---|---|'
printf -- '---|%.0s' "${runtimes[@]}"
printf '\n'
while IFS= read -r p; do
	inlist=$(jq -r --arg p "$p" 'if index($p) != null then "yes" else "" end' <<<"$list")
	printf '| %s | %s |' "$p" "$inlist"
	for r in "${runtimes[@]}"; do
		s=$(jq -r --arg r "$r" --arg p "$p" 'if .[$r] == null then "pending" else (.[$r][$p] // "—") end' <<<"$merged")
		printf ' %s |' "$s"
	done
	printf '\n'
done <<<"$programs"
for r in "${runtimes[@]}"; do
	jq -r --arg r "$r" 'if .[$r] == null then "\($r): pending" else "\($r): \([.[$r][] | select(. == "pass")] | length) pass of \(.[$r] | length)" end' <<<"$merged"
done | sed 's/^/    /'
