import json
def test_smoke(world, client):
    client.force_login(world.alice)
    for url in ["/api/v1/orgs/", "/api/v1/orgs/0101/", "/api/v1/orgs/0101/summary/", "/api/v1/orgs/0101/history/",
                "/api/v1/orgs/0102/", "/api/v1/members/", f"/api/v1/members/{world.members_a[1].pk}/",
                f"/api/v1/members/{world.members_b[0].pk}/", "/api/v1/me/", "/api/v1/members/?org=0102",
                "/api/v1/members/?q=zw", "/api/v1/orgs/?parent=01", "/api/v1/nothing", "/api/v1/members/99999999999999999999999/"]:
        r = client.get(url)
        print(url, r.status_code, r.content.decode()[:600])
    client.force_login(world.county_admin)
    for url in ["/api/v1/orgs/", "/api/v1/orgs/0101/", "/api/v1/orgs/?parent=01", "/api/v1/orgs/?under=0103"]:
        r = client.get(url)
        print(url, r.status_code, r.content.decode()[:900])
    r = client.post("/api/v1/orgs/0101/elections/", {"elected_on": "2024-01-01", "posts": [{"member": world.members_a[1].pk, "post": "secretary"}]}, content_type="application/json")
    print(r.status_code, r.content.decode())
    r = client.get("/api/v1/orgs/0101/")
    print(r.status_code, r.content.decode())
    r = client.post("/api/v1/members/", {"org": "0101", "id_number": "123", "name": ""}, content_type="application/json")
    print(r.status_code, r.content.decode())
