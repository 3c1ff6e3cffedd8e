"""What the site, the API and the staff tools agree on, declared once.

Pure Python (no pydantic, no boto3), so the Lambda imports it at no cold-start cost and
the static site can import it without pulling in the API:

    errors     Invalid: a request or file field that breaks a rule
    messages   owners' messages: kinds, categories, committed response hours, statuses,
               grades, the request fields and their rules, phrases staff must never use
    clock      Beijing (UTC+8) months and times
    surveys    survey definitions and answer checking
    files      the files staff tools write and the site publishes (monthly case summary,
               survey results)
"""
