"""Keys made in Python equal keys made in DuckDB SQL, so either side can make them."""

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.keys import SEPARATOR, stable_key

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"))


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(texts, min_size=1, max_size=3))
def test_python_and_sql_keys_agree(parts):
    ((sql_key,),) = duckdb.sql(
        "SELECT md5_number_upper(?)", params=[SEPARATOR.join(parts)]
    ).fetchall()
    assert stable_key(*parts) == sql_key


def test_keys_separate_their_parts():
    assert stable_key("ab", "c") != stable_key("a", "bc")
