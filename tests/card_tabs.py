"""The customer card as the browser shows it once every tab has been opened: the card comes with
its first tab only, the others are fetched when opened (/admin/customer/tab/?id=N&tab=KEY);
``opened_card`` fetches each of them and puts it into its pane, as the card's script does."""
import html
import re

PANE = re.compile(r'(<div class="tab-pane" id="[^"]+" data-tab-url="([^"]+)">)(</div>)')


def opened_card(client, customer_id, query: str = "") -> str:
    """The card of ``customer_id`` with the content of every tab in its pane."""
    card = client.get(f"/admin/customer/details/?id={customer_id}{query}")
    assert card.status_code == 200, card.status_code
    page = card.get_data(as_text=True)

    def fill(match):
        pane = client.get(html.unescape(match.group(2)))
        assert pane.status_code == 200, (match.group(2), pane.status_code)
        return match.group(1) + pane.get_data(as_text=True) + match.group(3)

    return PANE.sub(fill, page)


def tab(client, customer_id, key: str):
    """The response of one tab of the card."""
    return client.get(f"/admin/customer/tab/?id={customer_id}&tab={key}")
