"""The AI + manufacturing matching marketplace."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from marketplace.config import default_config, load_secret_key

    app.config.update(default_config(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)

    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)

    from marketplace.errors import register_error_handlers
    from marketplace.cli import register_cli

    from marketplace import security

    register_error_handlers(app)
    register_cli(app)
    security.init_app(app)
    return app


def _close_sessions_quietly(app: Flask, db) -> None:
    """Closing the request's session rolls back whatever it began after its commit (a page's last
    reads). If the database connection died meanwhile, that rollback raises in the teardown, after
    the response was made, and the server answered 500 for a write that was saved (issue 9 item 7).
    Teardowns run in reverse order of registration, so this runs before Flask-SQLAlchemy's own."""
    from sqlalchemy.exc import DBAPIError

    @app.teardown_appcontext
    def close_session(_error) -> None:
        try:
            db.session.remove()
        except DBAPIError as error:
            app.logger.warning("database connection lost while closing the session: %s", error)
            db.session.registry().invalidate()  # drop the dead connection without talking to it
            db.session.registry.clear()


def register_extensions(app: Flask) -> None:
    from marketplace import i18n
    from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    _close_sessions_quietly(app, db)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=";".join(i18n.translation_directories()),
    )
    login_manager.init_app(app)
    from marketplace.auth import loader  # noqa: F401  (registers the user loader)

    _import_models()
    _import_tasks()


def _area_modules(name: str):
    """Yield `marketplace.<area>.<name>` for every area package that has that module."""
    import importlib
    import pkgutil

    package_dir = Path(__file__).resolve().parent
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda i: i.name):
        if info.ispkg and (package_dir / info.name / f"{name}.py").exists():
            yield importlib.import_module(f"marketplace.{info.name}.{name}")


def _import_models() -> None:
    """Import every area's models so metadata (and Alembic) sees all tables."""
    for _module in _area_modules("models"):
        pass


def _import_tasks() -> None:
    """Import every area's tasks.py so its @job and @periodic functions are registered."""
    for _module in _area_modules("tasks"):
        pass


def register_blueprints(app: Flask) -> None:
    """Each area package with a views.py exposes its blueprint as `bp`."""
    for module in _area_modules("views"):
        app.register_blueprint(module.bp)


def register_template_helpers(app: Flask) -> None:
    from marketplace import templating

    templating.init_app(app)
