"""TweekTrend: keyword trends and a live feed for X/Twitter."""
