"""Flask CLI commands: accounts for bureaus and admins, demo data, and each area's own commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from marketplace.extensions import db


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--kind", type=click.Choice(["bureau", "admin"]), required=True,
              help="bureau: an officer of a city industry bureau; admin: a platform operator.")
@click.option("--org-name", help="The bureau's (or operator's) organisation; created if it does not exist.")
@click.option("--city", help="City code of the bureau, e.g. weifang.")
@with_appcontext
def create_user_command(email, name, password, kind, org_name, city):
    """Create a bureau officer or a platform admin (they cannot self-register)."""
    import sqlalchemy as sa

    from marketplace.auth import passwords, services
    from marketplace.orgs.models import Organisation
    from marketplace.taxonomy.services import by_code

    if services.email_taken(email):
        raise click.ClickException(f"An account with email {email} already exists.")
    problem = None
    if len(password) < passwords.MIN_LENGTH or len(password) > passwords.MAX_LENGTH:
        problem = f"Passwords must have {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters."
    elif passwords.is_common(password):
        problem = "This password is too common."
    if problem:
        raise click.ClickException(problem)
    org_kind = "bureau" if kind == "bureau" else "operator"
    org_name = org_name or ("平台运营方" if kind == "admin" else None)
    if not org_name:
        raise click.ClickException("--org-name is required for a bureau user.")
    city_term = by_code("city", city) if city else None
    if city and city_term is None:
        raise click.ClickException(f"Unknown city code {city!r}; run `flask seed --no-demo` to load the taxonomies.")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == org_name, Organisation.kind == org_kind))
    if org is None:
        org = Organisation(kind=org_kind, name=org_name, city_id=city_term.id if city_term else None, verified=True)
        db.session.add(org)
        db.session.flush()
    services.create_user(email=email, name=name, password=password, org=org, org_role="owner", is_admin=kind == "admin")
    db.session.commit()
    click.echo(f"Created {kind} user {email} in {org.name}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    try:
        from marketplace.seeding import seed_command
    except ImportError:  # pragma: no cover - during early development only
        seed_command = None
    if seed_command is not None:
        app.cli.add_command(seed_command)
    for module in _area_cli_modules():
        for command in getattr(module, "COMMANDS", []):
            app.cli.add_command(command)


def _area_cli_modules():
    from marketplace import _area_modules

    return list(_area_modules("cli"))
