import random
import time

from steward.servicedesk.models import Article
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import admin_scope, scope_of

WORDS = "printer vpn drive mfa password outlook mailbox teams laptop screen backup server share folder network wifi phone reset licence install update windows office excel calendar".split()


def test_bench(world):
    rng = random.Random(1)
    rows = []
    for i in range(5000):
        body = " ".join(rng.choice(WORDS) for _ in range(300))
        rows.append(Article(provider=world.provider, client=rng.choice([None, world.client_a, world.client_b]),
                            title=" ".join(rng.choice(WORDS) for _ in range(4)) + f" {i}", body=body,
                            visibility=rng.choice(["public", "internal"])))
    Article.objects.bulk_create(rows)
    for label, scope in (("admin", admin_scope(world)), ("end_user", scope_of(world, "end_user_a"))):
        t = time.perf_counter(); n = 20
        for _ in range(n):
            kb.suggest(scope, "My mapped network drive is not working after the windows update, please help", world.client_a.pk)
        t1 = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for _ in range(n):
            list(kb.search(scope, "network drive")[:20])
        t2 = (time.perf_counter() - t) / n
        print(f"\n{label}: suggest {t1*1000:.1f} ms, search {t2*1000:.1f} ms")
