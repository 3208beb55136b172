"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_LIST_SIZE = 20_000

# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB, t=3, p=4).
_hasher = PasswordHasher()

# Common in Chinese leaks and absent from zxcvbn's mostly-Western list.
_EXTRA_COMMON = """
5201314 woaini1314 woaini520 1314520 a123456 a123456789 qq123456 abc123456 aa123456 123456a
88888888 66666666 11111111 123123123 147258369 123qweasd 1qaz2wsx qwe123456 zxcvbnm123
iloveyou1314 woaini woaini123 password123 admin123 admin888 000000000 987654321 12345678910
""".split()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_LIST_SIZE]) | frozenset(_EXTRA_COMMON)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()
