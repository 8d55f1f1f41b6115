#!/bin/sh
echo "Python 3.11.7"
