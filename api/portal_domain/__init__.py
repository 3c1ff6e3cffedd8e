"""The domain behind the owners' API (and the staff tools): services over one DynamoDB store.

    settings     limits, secrets and the clock, from the environment
    store        the table's layout: keys, expressions, transactions (nothing else writes them)
    cases        owners' messages: submit, follow, rate; staff handling (grade, assign, reply…)
    surveys      survey answers with one-time codes and sharded counters
    composition  the services the app uses, built once (tests put their own in)
    auth         the staff sign-in token check and roles (the staff API and the git proxy)
    git_proxy    the content editor's git proxy: which git-host calls staff may make
"""
