"""Customers: find one customer by id, e-mail, phone or loyalty number and see every touchpoint of
theirs across stores and sources; the detractors of the sidebar's stores who have not come back."""

import pandas as pd
import streamlit as st

from cx.config import currency_code
from cx.present import charts
from cx.present.markup import escape_markdown
from cx.store import customers
from ui.shared import caching, tables
from ui.shared.filters import current_filters

SEARCH = "customer"  # the address keeps the customer shown, so a link or a reload opens them again
NOT_FOUND = "No customer matches this search among those you may see."
ADDRESS_SEEN = "customers_address_seen"  # the customer id this page last put in (or read from) the address
STAGES = {"consideration": "Consideration", "conversion": "Conversion", "retention": "Retention",
          "advocacy": "Advocacy"}  # fmt: skip
EVENT_COLUMNS = {
    "source": st.column_config.TextColumn("Event"), "at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
    "store_id": st.column_config.TextColumn("Store"), "touchpoint": st.column_config.TextColumn("Touchpoint"),
    "score": st.column_config.NumberColumn("Score", format="%d"), "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
    "text": st.column_config.TextColumn("Comment"),
}  # fmt: skip


def profile_section(customer_id: str, scope) -> None:
    """The customer's tiles, timeline and events, as the viewer's scope shows them."""
    try:
        profile = caching.cached(customers.customer_profile, customer_id=customer_id, scope=scope)
    except customers.UnknownCustomer:
        st.warning(NOT_FOUND)
        return
    currency = currency_code()
    name = escape_markdown(profile["name"] or "name not known")
    st.subheader(f"{name} · {escape_markdown(profile['customer_id'])}")
    if profile["segment"]:
        st.caption(f"Segment: {escape_markdown(profile['segment'])}")
    events = pd.DataFrame(profile["events"])
    first, second, third, fourth = st.columns(4)
    first.metric("Stores", len(profile["stores"]), help=", ".join(profile["stores"]) or None)
    revenue = f"{profile['revenue']:,.2f}" + (f" {currency}" if currency else "")
    second.metric("Revenue", revenue, help=f"{profile['transactions']:,} purchases")
    third.metric("Last NPS answer", "none" if profile["last_nps"] is None else profile["last_nps"])
    fourth.metric("Journey stage", STAGES.get(profile["journey_stage"], "not known"),
                  help="Consideration: feedback, no purchase; conversion: one purchase; retention: more; "
                       "advocacy: more, and a promoter now")  # fmt: skip
    if events.empty:
        st.info("No answer or purchase of this customer is linked yet.")
        return
    st.caption(
        f"{len(events):,} events from {profile['first_seen']:%d %b %Y} to {profile['last_seen']:%d %b %Y}."
    )
    st.altair_chart(charts.customer_timeline(events, currency=currency), use_container_width=True)
    shown = events.assign(source=events["source"].map(charts.CUSTOMER_SOURCES))
    st.dataframe(shown, hide_index=True, column_config=EVENT_COLUMNS, use_container_width=True)
    tables.download_button(shown, label="Download events", file_name=f"customer-{customer_id}-events.csv",
                           key="customer_events_download")  # fmt: skip


def at_risk_section(scope) -> None:
    """Detractors in the sidebar's stores whose latest answer was not followed by a purchase."""
    st.header("Detractors who have not come back")
    risky = caching.cached(customers.at_risk, scope=scope)
    st.caption(
        "Customers whose latest NPS answer here was 0-6 and who have bought nothing since, newest answers "
        "first. Reach out before they are lost."
    )
    if risky.empty:
        st.info("No detractor of these stores is waiting for a follow-up.")
        return
    st.dataframe(
        risky,
        hide_index=True,
        use_container_width=True,
        column_config={
            "customer_id": st.column_config.TextColumn("Customer"),
            "store_id": st.column_config.TextColumn("Store"),
            "answered": st.column_config.DatetimeColumn("Answered", format="D MMM YYYY"),
            "score": st.column_config.NumberColumn("Score", format="%d"),
            "comment": st.column_config.TextColumn("Comment"),
            "last_purchase": st.column_config.DatetimeColumn("Last purchase before", format="D MMM YYYY"),
        },  # fmt: skip
    )
    tables.download_button(risky, label="Download the list", file_name="detractors-at-risk.csv",
                           key="customers_at_risk_download")  # fmt: skip


st.title("Customers")
filters = current_filters()
if filters is None:
    st.info("No data is loaded yet. Import customers, transactions and answers on the Data page.")
    st.stop()
asked = st.query_params.get(SEARCH, "")
opened = caching.cached(customers.find_customer, searched=asked, scope=filters.scope) if asked else None
if asked and opened is None:  # the address is not echoed back: it may name someone the viewer may not see
    st.warning(NOT_FOUND)
    st.query_params.pop(SEARCH, None)
if asked != st.session_state.get(ADDRESS_SEEN, ""):  # a link or a typed address: it fills the search box
    st.session_state["customers_search"] = opened or ""
searched = st.text_input(
    "Find a customer", key="customers_search", placeholder="Customer id, e-mail, phone or loyalty number",
    help="Exact, in any spelling: Alice@Example.com finds alice@example.com, 050 123 4567 finds +971 50 123 4567.",
)  # fmt: skip
st.session_state[ADDRESS_SEEN] = ""
if searched.strip():
    found = caching.cached(customers.find_customer, searched=searched, scope=filters.scope)
    if found is None:
        st.warning(NOT_FOUND)
        st.query_params.pop(SEARCH, None)
    else:
        st.query_params[SEARCH] = st.session_state[ADDRESS_SEEN] = found
        profile_section(found, filters.scope)
at_risk_section(filters.scope)
