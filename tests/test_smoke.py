from tests.conftest import Chat


def test_setup_and_commit(town: Chat) -> None:
    out = town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')
    assert "#1 Deliver 500 leaflets" in out and "Fri 27 Nov" in out
