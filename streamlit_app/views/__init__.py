"""The dashboard pages (st.navigation loads each file); they read and write only through
`streamlit_app/data.py`."""
