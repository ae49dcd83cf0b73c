"""The partnership's judgements: figures computed once, below the commands.

Who is over capacity, what is at risk, who gives and who asks: each is computed by one
module here, which `load`, `health`, the dashboard, the App Home, exports and the nudges
all call, so no two surfaces can disagree. Nothing here is a command, and nothing here
imports one.
"""
