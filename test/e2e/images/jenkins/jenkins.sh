#!/bin/sh
echo "this is gatestack's offline STAND-IN for jenkins/jenkins (test/e2e/images/jenkins): it cannot run Jenkins" >&2
exit 1
