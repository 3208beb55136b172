"""Login limits that hold under parallel tries and several workers, and cannot be used to lock the
owner out (issue 9 items 8 and 9)."""
import threading
import uuid

import pytest

from tests.conftest import TEST_PASSWORD, base_config, make_org, make_user, require_env

WRONG = {"email": "owner@example.com", "password": "wrong-password"}
RIGHT = {"email": "owner@example.com", "password": TEST_PASSWORD}


def post_login(app, data, address="198.51.100.1"):
    return app.test_client().post("/login", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def owner(app, db):
    make_user(make_org(), email="owner@example.com")
    db.session.commit()


class TestOnRedis:
    @pytest.fixture
    def app_config(self, tmp_path):
        return base_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=require_env("TEST_REDIS_URL"),
                           RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
                           SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limits.sqlite3'}")

    def test_a_burst_of_20_parallel_tries_lets_exactly_5_through(self, app, owner):
        barrier, statuses = threading.Barrier(20), []

        def attempt():
            barrier.wait()
            statuses.append(post_login(app, WRONG).status_code)

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(statuses) == [200] * 5 + [429] * 15


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
                       LOGIN_LIMIT_PER_ACCOUNT="5 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="20 per 15 minutes",
                       LOGIN_LIMIT_PER_ACCOUNT_TOTAL="8 per hour", LOGIN_SLOWDOWN_SECONDS=0)


def test_a_guesser_cannot_lock_the_owner_out_from_another_address(app, owner):
    for _ in range(5):
        assert post_login(app, WRONG, "203.0.113.66").status_code == 200
    assert post_login(app, RIGHT, "203.0.113.66").status_code == 429  # the guesser's address is locked out
    assert post_login(app, RIGHT, "198.51.100.7").status_code == 302  # the owner, elsewhere, is not


def test_guessing_from_many_addresses_is_slowed_not_turned_into_a_lockout(app, owner, monkeypatch):
    from marketplace.auth import throttle

    slowed = []
    monkeypatch.setattr(throttle, "slow_down", lambda: slowed.append(1))
    for n in range(8):
        assert post_login(app, WRONG, f"203.0.113.{n}").status_code == 200
    assert slowed == []
    assert post_login(app, WRONG, "203.0.113.50").status_code == 200 and slowed == [1]
    assert post_login(app, RIGHT, "198.51.100.7").status_code == 302 and slowed == [1, 1]


def test_a_successful_login_gives_the_address_its_try_back(app, db):
    for n in range(30):
        make_user(make_org(), email=f"staff{n}@example.com")
    db.session.commit()
    for n in range(30):  # an office behind one address: 30 people log in, more than the 20 tries per address
        assert post_login(app, {"email": f"staff{n}@example.com", "password": TEST_PASSWORD}).status_code == 302


def test_memory_counters_are_refused_with_more_than_one_worker():
    from marketplace.serving import UnsafeServing, check_rate_limit_storage

    check_rate_limit_storage(1, "memory://")
    check_rate_limit_storage(4, "redis://127.0.0.1:6379/0")
    with pytest.raises(UnsafeServing, match="RATELIMIT_STORAGE_URI"):
        check_rate_limit_storage(2, "memory://")
