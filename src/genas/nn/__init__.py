"""genas.nn"""
