#!/usr/bin/env bash
# rpc_hostile.c is built with the same generated code as rpc_gen.c.
exec "$(dirname "$0")/rpc_gen.gen.sh" "$@"
