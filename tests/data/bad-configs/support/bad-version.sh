#!/bin/sh
echo '{"executable": "/x", "version": ["3", "11"], "cache_tag": "", "stdlib": "", "dynload": "", "include": "", "static_lib": "", "libs": "", "cc": "", "ext_suffix": "", "builtins": [], "gil_disabled": false}'
