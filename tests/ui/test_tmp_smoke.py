import pytest
async def test_smoke(actors, world):
    owner = actors["owner"]
    for path in ["/", "/mirrors", f"/host/{world.host_id}", f"/site/{world.site_id}", "/sites", "/propagation", "/statistics", "/map", f"/mirror/{world.host_id}", "/admin/", "/admin/product", "/admin/audit"]:
        browser = actors["admin"] if path.startswith("/admin") else owner
        r = await browser.get(path)
        print(path, r.status_code)
        assert r.status_code == 200, r.text[:3000]
