#!/usr/bin/env bash
# LocalStack ready hook: SES refuses to send from an unverified identity, so
# verify the sender the template's SenderEmail names before anything sends.
set -euo pipefail
sender="${SENDER_EMAIL:-orders@ferrocart.example}"
awslocal ses verify-email-identity --email-address "$sender"
echo "ferrocart: SES sender $sender verified"
