#!/usr/bin/env bash
echo "vmtest: not yet"
