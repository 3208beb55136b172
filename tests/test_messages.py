"""Messages on a bid: the private thread, attachments checked by content, unread counts,
proposal PDFs on bids and photos on demands."""
from __future__ import annotations

import io

import sqlalchemy as sa

from marketplace.messages.models import BidMessage, FileAttachment
from tests.conftest import login, make_bid, make_demand, make_org, make_user

from tests.test_journey_provider import PDF  # a small valid PDF (pypdf reads it)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40 + b"\xff\xd9"


def setup_bid(db):
    firm = make_org(name="潍坊华东动力")
    owner = make_user(firm)
    demand = make_demand(firm)
    provider_org = make_org("provider", name="慧眼视觉")
    provider = make_user(provider_org)
    bid = make_bid(demand, provider_org)
    outsider = make_user(make_org("provider", name="旁观者"))
    other_firm = make_user(make_org(name="别家工厂"))
    db.session.commit()
    return bid, owner, provider, outsider, other_firm


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def test_thread_between_firm_and_provider_with_unread_counts(app, db):
    bid, owner, provider, *_ = setup_bid(db)
    p, f = client_for(app, provider), client_for(app, owner)
    sent = p.post(f"/bids/{bid.id}/messages", data={"body": "可以安排现场勘察吗？",
                                                   "files": (io.BytesIO(PNG), "现场照片.png")}, content_type="multipart/form-data")
    assert sent.status_code == 302
    inbox = f.get("/messages/").get_data(as_text=True)
    assert 'data-testid="unread">1<' in inbox
    page = f.get(f"/bids/{bid.id}/messages").get_data(as_text=True)
    assert "可以安排现场勘察吗" in page and "现场照片.png" in page
    assert 'data-testid="unread"' not in f.get("/messages/").get_data(as_text=True)  # read now
    attachment = db.session.scalar(sa.select(FileAttachment))
    assert attachment.content_type == "image/png" and attachment.original_name == "现场照片.png"
    download = f.get(f"/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PNG and "sandbox" in download.headers["Content-Security-Policy"]
    f.post(f"/bids/{bid.id}/messages", data={"body": "周三上午可以。"})
    assert 'data-testid="unread">1<' in p.get("/messages/").get_data(as_text=True)


def test_no_one_else_reads_or_writes_a_thread(app, db):
    bid, owner, provider, outsider, other_firm = setup_bid(db)
    p = client_for(app, provider)
    p.post(f"/bids/{bid.id}/messages", data={"body": "报价含税", "files": (io.BytesIO(PDF), "方案.pdf")},
           content_type="multipart/form-data")
    attachment = db.session.scalar(sa.select(FileAttachment))
    for user in (outsider, other_firm):
        c = client_for(app, user)
        assert c.get(f"/bids/{bid.id}/messages").status_code == 404
        assert c.post(f"/bids/{bid.id}/messages", data={"body": "偷看"}).status_code == 404
        assert c.get(f"/files/{attachment.id}").status_code == 404
        assert "报价含税" not in c.get("/messages/").get_data(as_text=True)
    assert app.test_client().get(f"/files/{attachment.id}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(BidMessage.id))) == 1


def test_disguised_oversize_and_empty_attachments_are_refused_and_the_text_is_kept(app, db):
    bid, owner, provider, *_ = setup_bid(db)
    p = client_for(app, provider)
    disguised = p.post(f"/bids/{bid.id}/messages", data={"body": "请看附件说明", "files": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "方案.pdf")},
                       content_type="multipart/form-data")
    html = disguised.get_data(as_text=True)
    assert disguised.status_code == 400 and "请看附件说明" in html and 'data-testid="upload-problem"' in html
    big = p.post(f"/bids/{bid.id}/messages", data={"body": "大文件", "files": (io.BytesIO(b"%PDF-1.4" + b"0" * (10 * 1024 * 1024)), "big.pdf")},
                 content_type="multipart/form-data")
    assert big.status_code == 400 and "10 MB" in big.get_data(as_text=True)
    truncated = p.post(f"/bids/{bid.id}/messages", data={"files": (io.BytesIO(PNG[:20]), "cut.png")}, content_type="multipart/form-data")
    assert truncated.status_code == 400
    assert p.post(f"/bids/{bid.id}/messages", data={"body": "  "}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(BidMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(FileAttachment.id))) == 0


def test_provider_attaches_a_proposal_pdf_and_the_firm_photos(app, db):
    bid, owner, provider, outsider, _ = setup_bid(db)
    p, f = client_for(app, provider), client_for(app, owner)
    assert p.post(f"/bids/{bid.id}/proposal", data={"files": (io.BytesIO(PDF), "技术方案.pdf")},
                  content_type="multipart/form-data").status_code == 302
    assert f.post(f"/bids/{bid.id}/proposal", data={"files": (io.BytesIO(PDF), "x.pdf")},
                  content_type="multipart/form-data").status_code == 403
    p.post(f"/bids/{bid.id}/proposal", data={"files": (io.BytesIO(PNG), "photo.png")}, content_type="multipart/form-data")
    assert "技术方案.pdf" in f.get(f"/bids/{bid.id}").get_data(as_text=True)
    assert f.post(f"/demands/{bid.demand_id}/files", data={"files": (io.BytesIO(JPEG), "车间.jpg")},
                  content_type="multipart/form-data").status_code == 302
    assert p.post(f"/demands/{bid.demand_id}/files", data={"files": (io.BytesIO(JPEG), "x.jpg")},
                  content_type="multipart/form-data").status_code == 403
    kinds = sorted(a.content_type for a in db.session.scalars(sa.select(FileAttachment)))
    assert kinds == ["application/pdf", "image/jpeg"]  # the PNG "proposal" was refused
    public = app.test_client().get(f"/demands/{bid.demand_id}").get_data(as_text=True)
    assert "车间.jpg" in public
