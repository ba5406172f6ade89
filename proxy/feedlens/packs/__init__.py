"""Rule packs (docs/rule-packs.md): a directory of rules with a signed header listing the
SHA-256 of every file. Data only: a pack holds YAML, JSON and HTML, never code.

header: pack.yaml's schema · hashes: file hashes · signing: Ed25519 keys and signatures ·
archive: .tar.gz build and safe extraction · check: validate rules and run their fixtures ·
verify: every problem of a pack · build: make a pack · scaffold: a new adapter · cli: commands ·
subscriptions, fetch, versions, updater, status, update_cli: subscribing to published packs and
updating them.
"""
