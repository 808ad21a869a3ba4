"""Component ids of the dashboard, in one place so layouts and callbacks agree."""

# Shell
URL = "rb-url"
PAGE = "rb-page"
NAVBAR = "rb-navbar"

# Portfolio
PORTFOLIO_GRID = "rb-portfolio-grid"
PORTFOLIO_PRESET = "rb-portfolio-preset"
PORTFOLIO_PERIOD = "rb-portfolio-period"
PORTFOLIO_ATTENTION = "rb-portfolio-attention"

# Company page
COMPANY_ID = "rb-company-id"
PRESET = "rb-preset"
DATE_RANGE = "rb-date-range"
GRANULARITY = "rb-granularity"
CHANNEL = "rb-channel"
COMPARE = "rb-compare"
RANGE_MESSAGE = "rb-range-message"
PERIOD_LABEL = "rb-period-label"
KPI_CARDS = "rb-kpi-cards"
FOLLOWERS_GRAPH = "rb-followers-graph"
REACH_GRAPH = "rb-reach-graph"
ENGAGEMENT_GRAPH = "rb-engagement-graph"
GOALS_GRAPH = "rb-goals-graph"
GOAL_SELECT = "rb-goal-select"
GOAL_PATH_GRAPH = "rb-goal-path-graph"
