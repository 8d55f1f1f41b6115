#!/bin/sh
echo '{"version": [3, 11, 0]}'
