"""The partnership's framework: its agreement and each partner's sign-off, what partners
pledge and deliver, the shared goals and their indicators, and declarations of interest.

`terms` (the agreement), `contributions`, `goals` and `interests` hold the commands;
`organisations` keeps the partner organisations in step with the members; `overview` is
what a page needs, read in a fixed number of statements. The figures themselves (in
force or not, a goal's progress and trend, pledged against delivered) are judgements, in
handlers/judgements/.
"""
