"""The Slack adapter: `/partner <command>`, buttons, modals, shortcuts and the App Home tab.

`app.py` builds the Bolt app and wires every listener in one place; there is one module per
kind of Slack input (`commands`, `actions`, `views`, `shortcuts`, `events`), and the rest is
shared: `chat` runs a command for a Slack user, `render` turns a neutral Reply into Block
Kit, `people` maps Slack users to profiles, `delivery` sends through the Web API, and
`once` makes sure a request Slack retries is only ever acted on once.
"""
