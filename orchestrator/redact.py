"""Secrets out of every stored message and every model input (the charters' privacy rules).

Applied once, at ingest, before an inbound message is written: everything downstream (the
event log's notes, agent memory, status docs, thread context, the model's input) only ever
sees the redacted text. What is redacted, each replaced by a bracketed label:

- card numbers: 13–19 digits (spaces or dashes allowed) that pass the Luhn check;
- IBANs: a country code, check digits and the account, valid under ISO 13616 (mod 97);
- account numbers: 6–17 digits after "account", "acct", "a/c", "routing" or "sort code";
- one-time codes: 4–8 digits after "code", "OTP", "passcode", "PIN" or "2FA";
- passwords: whatever follows "password:", "passwd:", "pwd:" or "password is", to the line end.

Validation is python-stdnum's (Luhn and IBAN), so an order number or a phone number that merely
looks long is kept. The label keeps the last four digits of a card, like a bank statement.
"""

from __future__ import annotations

import re

from stdnum import iban, luhn

CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
ACCOUNT = re.compile(
    r"\b(account|acct|a/c|routing|sort code)(\s*(?:no\.?|number|#|num)?\s*(?:is|:)?\s*)"
    r"(\d[\d -]{4,20}\d)\b",
    re.IGNORECASE,
)
CODE = re.compile(
    r"\b(one[- ]time code|verification code|security code|otp|passcode|pin|2fa(?: code)?|code)"
    r"(\s*(?:is|:|=)?\s*)(\d{4,8})\b",
    re.IGNORECASE,
)
PASSWORD = re.compile(
    r"\b(password|passwd|pwd|passphrase)(\s*(?::|=|\bis\b)\s*)(\S[^\n]*)", re.IGNORECASE
)


def redact(text: str) -> str:
    """The text with card numbers, IBANs, account numbers, codes and passwords replaced."""
    if not text:
        return text
    text = PASSWORD.sub(lambda m: f"{m[1]}{m[2]}[password redacted]", text)
    text = IBAN.sub(_iban, text)
    text = CARD.sub(_card, text)
    text = ACCOUNT.sub(lambda m: f"{m[1]}{m[2]}[account number redacted]", text)
    return CODE.sub(lambda m: f"{m[1]}{m[2]}[code redacted]", text)


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
        return f"[card ending {digits[-4:]}]"
    return match[0]


def _iban(match: re.Match[str]) -> str:
    compact = match[0].replace(" ", "")
    return "[IBAN redacted]" if iban.is_valid(compact) else match[0]
