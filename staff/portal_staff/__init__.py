"""Staff tools and the local stack, beside the API and sharing its domain code.

    cases      `portal-cases`: owners' messages straight against the table (staff's own
               AWS credentials), the month's summary the portal publishes
    surveys    `portal-surveys`: one-time codes, results, publishing
    devstack   `python -m portal_staff.devstack`: DynamoDB Local + `chalice local` + the
               site, what the README's run command starts

The static site (package `portal`) never imports this package, the API or boto3.
"""
