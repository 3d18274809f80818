"""genas.space"""
